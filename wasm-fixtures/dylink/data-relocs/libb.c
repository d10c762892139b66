/* libb: plain data that other modules point at. */
const char b_greeting[] = "greetings from libb";
int b_numbers[3] = {10, 20, 30};

int b_sum(void) { return b_numbers[0] + b_numbers[1] + b_numbers[2]; }
