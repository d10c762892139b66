/* liba takes the addresses too: in code and in initialized data. */
typedef int (*fn_t)(int);

int shared_fn(int x);
int main_fn(int x);

fn_t a_shared(void) { return shared_fn; }
fn_t a_main_fn(void) { return main_fn; }
const fn_t a_table[2] = {shared_fn, main_fn};
