/* liba: initialized data holding pointers into libb, into main and into
 * liba itself.  All of these are filled in by liba's
 * __wasm_apply_data_relocs (from GOT.mem.* / GOT.func.* / __memory_base). */
#include "wrt.h"

extern const char b_greeting[];   /* libb */
extern int b_numbers[];           /* libb */
int b_sum(void);                  /* libb */
extern const char main_banner[];  /* main */
extern int main_counter;          /* main */

static const char a_own[] = "liba's own string";

const char *const a_strings[3] = {a_own, b_greeting, main_banner};
int *const a_int_ptrs[2] = {&b_numbers[2], &main_counter};
int (*const a_fn)(void) = b_sum;

struct record {
    const char *name;
    int *value;
    const char *tail; /* pointer into the middle of another module's string */
};
struct record a_record = {"record", &b_numbers[1], b_greeting + 10};

void a_dump(void) {
    for (int i = 0; i < 3; i++) {
        print_str("liba: a_strings[");
        print_int(i);
        print_str("] = \"");
        print_str(a_strings[i]);
        print_line("\"");
    }
    print_str("liba: *a_int_ptrs[0] = ");
    print_int(*a_int_ptrs[0]);
    print_str(", *a_int_ptrs[1] = ");
    print_int(*a_int_ptrs[1]);
    print_char('\n');
    print_str("liba: a_fn() = ");
    print_int(a_fn());
    print_char('\n');
    print_str("liba: a_record = {\"");
    print_str(a_record.name);
    print_str("\", ");
    print_int(*a_record.value);
    print_str(", \"");
    print_str(a_record.tail);
    print_line("\"}");
}
