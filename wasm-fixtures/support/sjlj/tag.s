# The __c_longjmp tag, defined in the main (as wasi-libc does): its
# exceptions carry one i32, a pointer to {env, val}. The main exports it;
# libraries import env.__c_longjmp and get this one tag.
.globl __c_longjmp
.tagtype __c_longjmp i32
__c_longjmp:
