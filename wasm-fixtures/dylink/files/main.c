/* files: WASI filesystem access through a preopened directory, using
 * wasi-libc (which finds the preopens via fd_prestat_get/dir_name).
 * Run with the case's data/ folder mapped to /data.  The program leaves
 * data/ exactly as it found it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) {
        printf("opendir %s: %s\n", path, strerror(errno));
        return;
    }
    char *names[64];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < 64) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)count, sizeof names[0], compare_names);
    printf("listing %s:", path);
    for (int i = 0; i < count; i++) {
        char full[256];
        struct stat st;
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
            printf(" %s/", names[i]);
        else
            printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static long read_file(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
    return (long)n;
}

int main(void) {
    char buf[512];

    long n = read_file("/data/input.txt", buf, sizeof buf);
    if (n < 0) {
        printf("cannot read /data/input.txt: %s (run with --dir data::/data)\n", strerror(errno));
        return 1;
    }
    int lines = 0;
    for (long i = 0; i < n; i++)
        lines += buf[i] == '\n';
    printf("read /data/input.txt: %ld bytes, %d lines\n", n, lines);
    printf("first line: %.*s\n", (int)strcspn(buf, "\n"), buf);

    if (read_file("/data/sub/nested.txt", buf + 256, 256) >= 0)
        printf("read /data/sub/nested.txt: %s", buf + 256);

    /* write an upper-cased copy with the POSIX-level API */
    for (long i = 0; i < n; i++)
        if (buf[i] >= 'a' && buf[i] <= 'z')
            buf[i] = (char)(buf[i] - 'a' + 'A');
    int fd = open("/data/output.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("open /data/output.txt for writing: %s\n", strerror(errno));
        return 1;
    }
    ssize_t written = write(fd, buf, (size_t)n);
    close(fd);
    printf("wrote /data/output.txt: %ld bytes\n", (long)written);

    /* append through stdio, then check size with stat and read it back */
    FILE *f = fopen("/data/output.txt", "a");
    fputs("APPENDED\n", f);
    fclose(f);
    struct stat st;
    if (stat("/data/output.txt", &st) == 0)
        printf("stat /data/output.txt: size %lld\n", (long long)st.st_size);
    char back[512];
    read_file("/data/output.txt", back, sizeof back);
    printf("read back last line: %s", strrchr(back, '\n') ? strstr(back, "APPENDED") : back);

    list_dir("/data");

    if (unlink("/data/output.txt") == 0)
        printf("removed /data/output.txt\n");
    else
        printf("unlink /data/output.txt: %s\n", strerror(errno));

    if (open("/data/output.txt", O_RDONLY) < 0)
        printf("open removed file: %s\n", strerror(errno));
    else
        printf("open removed file: unexpectedly succeeded\n");

    list_dir("/data");

    /* escaping the preopened directory must be refused */
    if (read_file("/data/../expected", buf, sizeof buf) >= 0)
        printf("open /data/../expected: ALLOWED (sandbox escape!)\n");
    else
        printf("open /data/../expected: refused\n");
    if (read_file("/etc/passwd", buf, sizeof buf) >= 0)
        printf("open /etc/passwd: ALLOWED (not under a preopen!)\n");
    else
        printf("open /etc/passwd: refused\n");
    return 0;
}
