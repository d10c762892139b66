/* Interface between the non-PIE main and its side module. */
#ifndef PLUGIN_H
#define PLUGIN_H

#include <stddef.h>

struct plugin {
    const char *name;
    char *(*make_greeting)(const char *who); /* returns malloc'd string */
    int (*sum_list)(int n);                  /* builds a malloc'd list, sums it, frees it */
    const char *static_data;                 /* the library's own static buffer */
    size_t static_size;
};

/* defined (and exported) by the main; the plugin calls it from its
 * constructor */
void register_plugin(const struct plugin *p);

#endif
