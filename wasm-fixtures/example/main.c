/* The bundled example: a PIE main that NEEDS libgreet.wasm and
 * libart.wasm (libart itself NEEDS libgreet).
 *
 *   wrun -L wasm-fixtures/example wasm-fixtures/example/main.wasm
 */
#include "wrt.h"

void greet(const char *who);
unsigned long long fib(int n);
void draw_mandelbrot(int width, int height, int max_iter);

int main(int argc, char **argv) {
    print_line("=== wrun dynamic-linking example ===");
    greet(argc > 1 ? argv[1] : "WebAssembly");

    print_str("Fibonacci numbers from libgreet.wasm:");
    for (int i = 0; i <= 15; i++) {
        print_char(' ');
        print_uint(fib(i));
    }
    print_char('\n');
    print_str("fib(90) = ");
    print_uint(fib(90));
    print_char('\n');

    print_line("The Mandelbrot set, drawn by libart.wasm:");
    draw_mandelbrot(64, 23, 40);
    print_line("=== bye ===");
    return 0;
}
