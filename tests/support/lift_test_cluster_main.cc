// ctest fixture: `lift_test_cluster start DIR` starts a throwaway PostgreSQL cluster in DIR that
// outlives this process and writes its connection settings to DIR/connection;
// `lift_test_cluster stop DIR` stops it and removes DIR. Start first removes any leftover of an
// interrupted run.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "server/embedded_pg/embedded_postgres.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::cerr << "usage: lift_test_cluster start|stop DIR" << std::endl;
    return 2;
  }
  const std::string command = argv[1];
  const fs::path dir = fs::absolute(argv[2]);
  if (auto stopped = lift::embedded_pg::EmbeddedPostgres::StopCluster(dir.string()); !stopped.ok()) {
    std::cerr << "lift_test_cluster: " << stopped.ToString() << std::endl;
  }
  std::error_code error;
  if (fs::exists(dir / "socket-dir")) {
    std::ifstream in(dir / "socket-dir");
    std::string socket_dir;
    if (std::getline(in, socket_dir) && socket_dir.rfind("/tmp/lift-pg-", 0) == 0) {
      fs::remove_all(socket_dir, error);
    }
  }
  fs::remove_all(dir, error);
  if (command == "stop") return 0;

  lift::embedded_pg::EmbeddedPostgresOptions options;
  options.data_dir = dir.string();
  options.database = "postgres";
  options.fsync = false;           // throwaway: speed over durability
  options.stop_with_owner = false; // outlives this process; `stop` ends it
  auto postgres = lift::embedded_pg::EmbeddedPostgres::Start(options);
  if (!postgres.ok()) {
    std::cerr << "lift_test_cluster: " << postgres.status().ToString() << std::endl;
    return 1;
  }
  std::string conninfo = (*postgres)->ConnectionString("postgres");
  conninfo = conninfo.substr(0, conninfo.rfind(" dbname="));
  const std::string socket_dir = conninfo.substr(5, conninfo.find(' ') - 5);  // "host=..."
  std::ofstream(dir / "connection") << conninfo << "\n";
  std::ofstream(dir / "socket-dir") << socket_dir << "\n";
  (*postgres)->Detach();
  std::cout << "test PostgreSQL cluster running in " << dir.string() << " (" << conninfo << ")"
            << std::endl;
  return 0;
}
