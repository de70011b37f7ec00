// dcgw-fake-card: the tests' fake company card (fake_company_card.hpp) as a program, so a whole
// remote authentication can be tried on one machine without a card (README, "Remote company-
// card authentication"): it plugs into vsmartcard's virtual reader (vpcd) on 127.0.0.1:PORT and
// answers the generation 1 authentication until SIGINT or SIGTERM, then prints the steps seen.
//
//   dcgw-fake-card [--port 35963] [--esn 0011223344556677] [--certificate-first]
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "tests/support/fake_company_card.hpp"

int main(int argc, char** argv) {
  dcgw::testing::FakeCompanyCard::Options o;
  o.port = 35963;  // Debian's /etc/reader.conf.d/vpcd: the first virtual reader
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool hasValue = i + 1 < argc;
    if (a == "--port" && hasValue) {
      const long p = std::strtol(argv[++i], nullptr, 10);
      if (p < 1 || p > 65535) {
        std::cerr << "dcgw-fake-card: --port must be from 1 to 65535\n";
        return 2;
      }
      o.port = static_cast<std::uint16_t>(p);
    } else if (a == "--esn" && hasValue) {
      const std::string hex = argv[++i];
      if (hex.size() != 16 ||
          hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        std::cerr << "dcgw-fake-card: --esn must be 16 hex digits (the card's 8-byte extended "
                     "serial number), not '"
                  << hex << "'\n";
        return 2;
      }
      for (std::size_t b = 0; b < 8; ++b)
        o.extendedSerial[b] =
            static_cast<std::uint8_t>(std::stoi(hex.substr(2 * b, 2), nullptr, 16));
    } else if (a == "--certificate-first") {
      o.certificateFirst = true;
    } else {
      std::cerr << "usage: dcgw-fake-card [--port N] [--esn HEX16] [--certificate-first]\n";
      return 2;
    }
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  dcgw::testing::FakeCompanyCard card(o);
  if (!card.connected()) {
    std::cerr << "dcgw-fake-card: no virtual reader at 127.0.0.1:" << o.port
              << " (is pcscd running with the vpcd driver?)\n";
    return 1;
  }
  std::cerr << "dcgw-fake-card: in the virtual reader at 127.0.0.1:" << o.port
            << "; Ctrl-C removes it" << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  for (const auto& s : card.steps()) std::cout << s << '\n';
  std::cout << (card.authenticated() ? "authenticated\n" : "not authenticated\n");
  return 0;
}
