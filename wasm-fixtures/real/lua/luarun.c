/* luarun: runs the Lua script named by argv[1] with the standard libraries,
 * arg[1..] set from argv[2..]. The Lua library (liblua.wasm, a shared
 * library) does the work; an error is printed to stderr with status 1.
 * Lua raises errors, and coroutines yield, with longjmp: here those are
 * wasm exceptions (clang -mllvm -wasm-enable-sjlj) thrown and caught
 * inside liblua, through calls back into this main (print, io). */
#include <stdio.h>
#include <stdlib.h>
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: luarun SCRIPT [ARGS]\n");
        return 2;
    }
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, "luarun: out of memory\n");
        return 1;
    }
    luaL_openlibs(L);
    lua_createtable(L, argc, 0);
    for (int i = 1; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");
    int status = luaL_dofile(L, argv[1]);
    if (status != LUA_OK) {
        fprintf(stderr, "luarun: %s\n", lua_tostring(L, -1));
        lua_close(L);
        return 1;
    }
    lua_close(L);
    return 0;
}
