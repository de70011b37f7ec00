// pcscd for a test, without hardware: Debian's pcscd started in the foreground with a reader
// configuration of its own (vsmartcard's vpcd driver on two free loopback-reachable ports, the
// second reader on port + 1), stopped and its files removed at the end. pcscd's socket is the
// system's (/run/pcscd): tests that start one hold the ctest resource lock "pcscd".
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

namespace dcgw::testing {

class Pcscd {
 public:
  static constexpr const char* kReaderName = "dcgw test reader";

  Pcscd() {
    namespace fs = std::filesystem;
    dir_ = fs::temp_directory_path() / ("dcgw-pcscd-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "conf");
    port_ = freePortPair();
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%04X", port_);
    std::ofstream(dir_ / "conf" / "vpcd")
        << "FRIENDLYNAME \"" << kReaderName << "\"\n"
        << "DEVICENAME   /dev/null:" << hex << "\n"
        << "LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n"
        << "CHANNELID    " << hex << "\n";
    start();
  }
  ~Pcscd() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // pcscd stops (every context of its clients dies) and starts again on the same readers.
  void restart() {
    stop();
    start();
  }
  // The vpcd port of the first reader ("dcgw test reader 00 00"); the second is port() + 1.
  std::uint16_t port() const { return port_; }
  std::string log() const {
    std::ifstream in(dir_ / "pcscd.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  void start() {
    waitForPreviousPcscd();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test that crashes leaves no pcscd behind
      std::freopen((dir_ / "pcscd.log").c_str(), "a", stdout);
      std::freopen((dir_ / "pcscd.log").c_str(), "a", stderr);
      const std::string conf = (dir_ / "conf").string();
      execlp("pcscd", "pcscd", "--foreground", "--config", conf.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  // A pcscd of a test that just ended may still be on its way out (its pid file names it).
  static void waitForPreviousPcscd() {
    for (int i = 0; i < 250; ++i) {
      std::ifstream pidFile("/run/pcscd/pcscd.pid");
      pid_t old = 0;
      if (!(pidFile >> old) || old <= 0 || kill(old, 0) != 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  static bool bindable(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  static std::uint16_t freePortPair() {
    std::mt19937 rng(std::random_device{}());
    for (int i = 0; i < 200; ++i) {
      const auto p = static_cast<std::uint16_t>(41000 + rng() % 20000);
      if (bindable(p) && bindable(static_cast<std::uint16_t>(p + 1))) return p;
    }
    return 41000;
  }

  std::filesystem::path dir_;
  std::uint16_t port_{0};
  pid_t pid_{-1};
};

}  // namespace dcgw::testing
