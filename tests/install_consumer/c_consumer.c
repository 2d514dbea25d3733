/* Uses the installed C ABI: annodb/annodb.h and libannodb. */
#include <stdio.h>

#include "annodb/annodb.h"

int main(void) {
  const char* version = annodb_version();
  if (version == NULL) {
    fprintf(stderr, "c_consumer: annodb_version() returned NULL\n");
    return 1;
  }
  printf("c_consumer: annodb %s OK\n", version);
  return 0;
}
