/* hello: start-up cost baseline. */
#include <stdio.h>

int main(void) {
    puts("hello, world");
    return 0;
}
