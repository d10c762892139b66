/* sqlrun: runs the SQL file named by argv[1] on the database file argv[2]
 * (an in-memory database without it) with the SQLite shared library,
 * printing each result row as the sqlite3 shell's default list mode does:
 * columns joined by '|', NULL as nothing. An error is printed to stderr
 * with status 1. */
#include <stdio.h>
#include <stdlib.h>
#include "sqlite3.h"

static int print_row(void *unused, int columns, char **values, char **names) {
    (void)unused;
    (void)names;
    for (int i = 0; i < columns; i++) {
        if (i > 0)
            putchar('|');
        if (values[i] != NULL)
            fputs(values[i], stdout);
    }
    putchar('\n');
    return 0;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t size = 0, capacity = 4096;
    char *text = malloc(capacity);
    size_t n;
    while (text != NULL && (n = fread(text + size, 1, capacity - size - 1, f)) > 0) {
        size += n;
        if (capacity - size < 2) {
            capacity *= 2;
            text = realloc(text, capacity);
        }
    }
    fclose(f);
    if (text != NULL)
        text[size] = '\0';
    return text;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: sqlrun FILE.sql [DATABASE]\n");
        return 2;
    }
    char *sql = read_file(argv[1]);
    if (sql == NULL) {
        fprintf(stderr, "sqlrun: cannot read %s\n", argv[1]);
        return 1;
    }
    sqlite3 *db;
    if (sqlite3_open(argc == 3 ? argv[2] : ":memory:", &db) != SQLITE_OK) {
        fprintf(stderr, "sqlrun: cannot open a database: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    char *error = NULL;
    int status = sqlite3_exec(db, sql, print_row, NULL, &error);
    if (status != SQLITE_OK) {
        fprintf(stderr, "sqlrun: %s\n", error ? error : sqlite3_errstr(status));
        sqlite3_free(error);
        sqlite3_close(db);
        return 1;
    }
    sqlite3_close(db);
    free(sql);
    return 0;
}
