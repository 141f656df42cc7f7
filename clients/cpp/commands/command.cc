#include "clients/cpp/commands/command.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace lift::cli {

int Fail(const absl::Status& status) {
  std::cerr << "liftctl: error: " << status.message() << " ("
            << absl::StatusCodeToString(status.code()) << ")" << std::endl;
  return 1;
}

absl::StatusOr<std::string> ReadInputFile(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    text << in.rdbuf();
  }
  return text.str();
}

}  // namespace lift::cli
