/* libcounter: one global variable and the function that changes it, for the
 * seed example (runtime/examples/seed.rs): each process that loads this
 * library gets its own `counter`, while the code of `bump` is shared. */
int counter;

int bump(int by) {
    counter += by;
    return counter;
}
