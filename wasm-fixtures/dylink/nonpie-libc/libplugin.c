/* A side module (-fPIC -shared) that uses the main's wasi-libc: malloc,
 * free, printf, snprintf, strlen and memcpy are all imported from "env"
 * and resolved against the main's exports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

static char plugin_buffer[256] = "plugin static buffer";

static char *make_greeting(const char *who) {
    char tmp[64]; /* on the shadow stack: uses the main's __stack_pointer */
    int n = snprintf(tmp, sizeof tmp, "hello, %s, from the plugin", who);
    char *result = malloc((size_t)n + 1);
    memcpy(result, tmp, (size_t)n + 1);
    return result;
}

struct node {
    int value;
    struct node *next;
};

static int sum_list(int n) {
    struct node *head = NULL;
    for (int i = 1; i <= n; i++) {
        struct node *node = malloc(sizeof *node);
        node->value = i;
        node->next = head;
        head = node;
    }
    int sum = 0;
    while (head) {
        struct node *next = head->next;
        sum += head->value;
        free(head);
        head = next;
    }
    return sum;
}

static const struct plugin the_plugin = {
    "demo-plugin", make_greeting, sum_list, plugin_buffer, sizeof plugin_buffer,
};

__attribute__((constructor)) static void plugin_init(void) {
    char *scratch = malloc(100);
    snprintf(scratch, 100, "%s says %s", the_plugin.name, plugin_buffer);
    printf("plugin: constructor: %s (len %zu)\n", scratch, strlen(scratch));
    free(scratch);
    register_plugin(&the_plugin);
}
