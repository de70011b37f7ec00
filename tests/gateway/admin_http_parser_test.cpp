// The admin front's request parser on its own: the same bytes give the same requests whether
// they come at once or a byte at a time (a split in the stream never changes the framing).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/admin/http_parser.hpp"

namespace dcgw::admin {
namespace {

// Each request as "METHOD target body", or "error STATUS" where parsing stopped.
std::vector<std::string> parse(const std::string& bytes, std::size_t piece) {
  std::vector<std::string> out;
  RequestParser parser(HttpLimits{});
  std::string in;
  std::size_t given = 0;
  for (;;) {
    const auto s = parser.feed(in);
    if (s == RequestParser::Status::Error) {
      out.push_back("error " + std::to_string(parser.errorStatus()));
      return out;
    }
    if (s == RequestParser::Status::Complete) {
      out.push_back(parser.request().method + " " + parser.request().target + " " +
                    parser.request().body);
      parser.reset();
      continue;
    }
    if (given >= bytes.size()) return out;
    in.append(bytes, given, std::min(piece, bytes.size() - given));
    given += piece;
  }
}

void expectSameWholeAndByByte(const std::string& bytes, const std::vector<std::string>& want) {
  EXPECT_EQ(parse(bytes, bytes.size()), want) << "whole";
  EXPECT_EQ(parse(bytes, 1), want) << "a byte at a time";
  EXPECT_EQ(parse(bytes, 7), want) << "seven bytes at a time";
}

TEST(AdminHttpParser, PipelinedLengthAndChunkedBodiesSplitAnywhere) {
  expectSameWholeAndByByte(
      "\r\nPOST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST /b?x=1 HTTP/1.1\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n"
      "GET http://host/c HTTP/1.0\n\n",
      {"POST /a hello", "POST /b?x=1 abcde", "GET /c "});
}

TEST(AdminHttpParser, AnOverLongChunkSizeLineIsRefusedHoweverItArrives) {
  // Whole, the line was cut at ';' and taken; a byte at a time it was over 1 KiB first.
  expectSameWholeAndByByte("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                               std::string(2000, 'x') + "\r\na\r\n0\r\n\r\n",
                           {"error 400"});
}

TEST(AdminHttpParser, FramingErrorsAreTheSameSplitAnywhere) {
  expectSameWholeAndByByte("POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                           {"error 400"});
  expectSameWholeAndByByte(
      "POST /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", {"error 400"});
  expectSameWholeAndByByte("POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                           {"error 501"});
  expectSameWholeAndByByte("POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", {"error 400"});
  expectSameWholeAndByByte("GET /a HTTP/1.1\r\nExpect: magic\r\n\r\n", {"error 417"});
  expectSameWholeAndByByte("POST /a HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", {"error 413"});
}

}  // namespace
}  // namespace dcgw::admin
