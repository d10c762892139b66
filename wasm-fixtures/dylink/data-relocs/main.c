/* main: exports data that liba's initialized pointers refer to, and has
 * initialized pointers of its own into libb and liba. */
#include "wrt.h"

const char main_banner[] = "banner from main";
int main_counter = 7;

extern const char b_greeting[];
extern int b_numbers[];
extern const char *const a_strings[3];
extern int *const a_int_ptrs[2];
void a_dump(void);

const char *const main_to_b = b_greeting;
int *const main_to_b_num = &b_numbers[0];

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    a_dump();
    main_counter = 8; /* liba sees the change: it points at the same int */
    print_str("main: after main_counter = 8, *a_int_ptrs[1] = ");
    print_int(*a_int_ptrs[1]);
    print_char('\n');
    print_str("main: main_to_b = \"");
    print_str(main_to_b);
    print_str("\", *main_to_b_num = ");
    print_int(*main_to_b_num);
    print_char('\n');
    print_str(a_strings[2] == main_banner ? "main: a_strings[2] == main_banner\n"
                                          : "main: a_strings[2] != main_banner\n");
    print_str(a_strings[1] == main_to_b ? "main: a_strings[1] == main_to_b\n"
                                        : "main: a_strings[1] != main_to_b\n");
    return 0;
}
