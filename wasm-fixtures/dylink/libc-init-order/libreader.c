/* A side module whose constructor uses the main's libc: fopen of a file
 * under a preopened directory works only once the main's libc has found
 * its preopens, i.e. after the main's own constructors ran. */
#include <stdio.h>
#include <string.h>

static char first_line[128];

__attribute__((constructor)) static void reader_init(void) {
    FILE *f = fopen("/data/greeting.txt", "r");
    if (!f) {
        printf("libreader: constructor: cannot open /data/greeting.txt\n");
        return;
    }
    if (fgets(first_line, sizeof first_line, f))
        first_line[strcspn(first_line, "\n")] = 0;
    fclose(f);
    printf("libreader: constructor read \"%s\"\n", first_line);
}

const char *reader_line(void) { return first_line; }
