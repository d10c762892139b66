/* libart: ASCII art, drawn with integer fixed-point arithmetic so the
 * output is identical everywhere.  NEEDS libgreet (for the greeting). */
#include "wrt.h"

void greet(const char *who);

#define FIX_SHIFT 12
#define FIX_ONE (1 << FIX_SHIFT)

static char shade(int iterations, int max) {
    static const char ramp[] = " .,:-=+*#%";
    static const int limits[] = {3, 4, 5, 6, 8, 10, 13, 18, 26};
    if (iterations >= max)
        return '@';
    for (int i = 0; i < 9; i++)
        if (iterations < limits[i])
            return ramp[i];
    return ramp[9];
}

void draw_mandelbrot(int width, int height, int max_iter) {
    greet("artist");
    char line[128];
    for (int row = 0; row < height; row++) {
        /* imaginary part from -1.2 to 1.2 */
        int ci = -FIX_ONE * 12 / 10 + row * (FIX_ONE * 24 / 10) / (height - 1);
        for (int col = 0; col < width; col++) {
            /* real part from -2.1 to 0.9 */
            int cr = -FIX_ONE * 21 / 10 + col * (FIX_ONE * 3) / (width - 1);
            int zr = 0, zi = 0, i = 0;
            while (i < max_iter) {
                long long zr2 = (long long)zr * zr >> FIX_SHIFT;
                long long zi2 = (long long)zi * zi >> FIX_SHIFT;
                if (zr2 + zi2 > 4 * FIX_ONE)
                    break;
                int nzi = (int)(((long long)zr * zi >> (FIX_SHIFT - 1)) + ci);
                zr = (int)(zr2 - zi2 + cr);
                zi = nzi;
                i++;
            }
            line[col] = shade(i, max_iter);
        }
        /* trim trailing spaces */
        int len = width;
        while (len > 0 && line[len - 1] == ' ')
            len--;
        line[len] = '\n';
        wrt_write(1, line, (wrt_size_t)len + 1);
    }
}
