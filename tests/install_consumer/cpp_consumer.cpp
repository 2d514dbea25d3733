// Uses the installed C++ API: annodb/store.h and annodb::annodb_engine.
// Opens (creating) a store in the directory given as argv[1], then closes it.
#include <cstdio>
#include <memory>
#include <string>

#include "annodb/store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cpp_consumer <store-dir>\n");
    return 2;
  }
  annodb::StoreOptions options;
  options.create_if_missing = true;
  std::unique_ptr<annodb::Store> store;
  annodb::Status s = annodb::Store::Open(argv[1], options, &store);
  if (!s.ok()) {
    std::fprintf(stderr, "cpp_consumer: open %s: %s\n", argv[1], s.ToString().c_str());
    return 1;
  }
  store.reset();  // closes the store
  std::printf("cpp_consumer: opened and closed a store in %s OK\n", argv[1]);
  return 0;
}
