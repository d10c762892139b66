/* libb defines shared_fn and takes the address of both shared_fn and
 * main_fn (defined in main). */
typedef int (*fn_t)(int);

int shared_fn(int x) { return x * 3; }
int main_fn(int x);

fn_t b_shared(void) { return shared_fn; }
fn_t b_main_fn(void) { return main_fn; }
