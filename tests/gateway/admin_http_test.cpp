// The admin API's HTTP front on the wire (schema/openapi.yaml, "Connections"): a request whose
// body length could be read two ways is answered 400 and the connection closed; an over-long
// head is 431, an over-long body 413; invalid UTF-8 in a JSON body is a 400 naming where; and
// what real clients send works: keep-alive, pipelining in order, Expect: 100-continue,
// chunked bodies, HEAD, HTTP/1.0.
#include <gtest/gtest.h>

#include <string>

#include "gateway/admin/http_message.hpp"
#include "tests/gateway/admin_front_fixture.hpp"

namespace dcgw::admin {
namespace {

using namespace std::chrono_literals;
using testing::RawHttp;

TEST_F(AdminFrontTest, TwoDifferentContentLengthsAre400AndTheConnectionCloses) {
  start();
  RawHttp c(port());
  // Read by the first length this is a whole location, by the second a body still coming.
  const std::string body = R"({"name":"Smuggled"})";
  c.send(head("POST", "/api/v1/locations",
              "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                  "\r\nContent-Length: 40\r\n") +
         body);
  auto r = c.response(5s);
  ASSERT_TRUE(r) << "no answer: " << c.buffered();
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("Content-Length"), std::string::npos) << r->body;
  EXPECT_EQ(lowerAscii(r->header("Connection")), "close");
  EXPECT_TRUE(c.closedWithin(3s));
  EXPECT_EQ(locations(), 0u) << "the request was acted on";
}

TEST_F(AdminFrontTest, ContentLengthWithChunkedIs400AndTheConnectionCloses) {
  start();
  RawHttp c(port());
  c.send(head("POST", "/api/v1/locations",
              "Content-Type: application/json\r\nContent-Length: 4\r\n"
              "Transfer-Encoding: chunked\r\n") +
         "13\r\n{\"name\":\"Smuggled\"}\r\n0\r\n\r\n");
  auto r = c.response(5s);
  ASSERT_TRUE(r) << "no answer: " << c.buffered();
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("Transfer-Encoding"), std::string::npos) << r->body;
  EXPECT_TRUE(c.closedWithin(3s));
  EXPECT_EQ(locations(), 0u);
}

TEST_F(AdminFrontTest, AnOverLongHeadIs431AndTheConnectionCloses) {
  start();
  RawHttp c(port());
  c.send(head("GET", "/api/v1/me", "X-Padding: " + std::string(20 * 1024, 'a') + "\r\n"));
  auto r = c.response(5s);
  ASSERT_TRUE(r) << "no answer";
  EXPECT_EQ(r->status, 431) << r->body;
  EXPECT_NE(r->body.find("16 KiB"), std::string::npos) << r->body;
  EXPECT_TRUE(c.closedWithin(3s));
  // A head that never ends is cut at the limit too, without waiting for the rest.
  RawHttp endless(port());
  endless.send("GET /api/v1/me HTTP/1.1\r\nX-Endless: " + std::string(17 * 1024, 'b'));
  auto e = endless.response(5s);
  ASSERT_TRUE(e) << "no answer";
  EXPECT_EQ(e->status, 431);
}

TEST_F(AdminFrontTest, ABodyOver1MiBIs413BeforeItIsSent) {
  start();
  RawHttp c(port());
  c.send(head("POST", "/api/v1/locations",
              "Content-Type: application/json\r\nContent-Length: 2000000\r\n"
              "Expect: 100-continue\r\n"));
  auto r = c.response(5s);
  ASSERT_TRUE(r) << "no answer";
  EXPECT_EQ(r->status, 413) << r->body;
  EXPECT_TRUE(c.closedWithin(3s));
}

TEST_F(AdminFrontTest, InvalidUtf8InAJsonBodyIs400NamingWhere) {
  start();
  for (const std::string& body : {std::string("{\"name\":\"x\xff\"}"),     // in a member value
                                  std::string("{\"na\xffme\":\"x\"}")}) {  // in a member name
    RawHttp c(port());
    c.send(post("/api/v1/locations", body));
    auto r = c.response(5s);
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, 400) << r->body;
    auto v = codecs::parseJson(r->body);
    ASSERT_TRUE(v) << "the error body is not JSON (the bad bytes echoed?): " << r->body;
    const codecs::JsonValue* fields = v->find("fields");
    ASSERT_TRUE(fields && fields->isArray() && fields->asArray().size() == 1) << r->body;
    const codecs::JsonValue& f = fields->asArray()[0];
    EXPECT_EQ(f.find("field")->asString(), "body") << r->body;
    const std::string at = std::to_string(body.find('\xff'));
    EXPECT_NE(f.find("reason")->asString().find("UTF-8"), std::string::npos) << r->body;
    EXPECT_NE(f.find("reason")->asString().find("character " + at), std::string::npos) << r->body;
  }
  EXPECT_EQ(locations(), 0u) << "an invalid name was stored";
}

TEST_F(AdminFrontTest, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
  start();
  RawHttp c(port());
  c.send(post("/api/v1/locations", R"({"name":"A"})") + head("GET", "/api/v1/me") +
         post("/api/v1/locations", R"({"name":"B"})") + head("GET", "/api/v1/locations"));
  auto a = c.response(5s), me = c.response(5s), b = c.response(5s), all = c.response(5s);
  ASSERT_TRUE(a && me && b && all);
  EXPECT_EQ(a->status, 201);
  EXPECT_NE(a->body.find("\"A\""), std::string::npos) << a->body;
  EXPECT_NE(me->body.find("alice"), std::string::npos) << me->body;
  EXPECT_NE(b->body.find("\"B\""), std::string::npos) << b->body;
  EXPECT_LT(all->body.find("\"A\""), all->body.find("\"B\"")) << all->body;
  EXPECT_FALSE(c.closedWithin(200ms)) << "a keep-alive connection was closed";
}

TEST_F(AdminFrontTest, ExpectContinueGetsA100ThenTheAnswer) {
  start();
  RawHttp c(port());
  const std::string body = R"({"name":"Depot","description":")" + std::string(2000, 'd') + "\"}";
  c.send(head("POST", "/api/v1/locations",
              "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n"));
  auto cont = c.response(5s);
  ASSERT_TRUE(cont) << "no 100 Continue";
  EXPECT_EQ(cont->status, 100);
  c.send(body);
  auto r = c.response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
}

TEST_F(AdminFrontTest, AChunkedBodyIsReadWhole) {
  start();
  RawHttp c(port());
  c.send(head("POST", "/api/v1/locations",
              "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n") +
         "9\r\n{\"name\":\"\r\n6;ext=1\r\nDepot\"\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n" +
         head("GET", "/api/v1/me"));
  auto r = c.response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_NE(r->body.find("\"Depot\""), std::string::npos) << r->body;
  auto me = c.response(5s);  // what followed the last chunk is the next request
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200) << me->body;
}

TEST_F(AdminFrontTest, HeadIsGetWithoutTheBody) {
  start();
  RawHttp c(port());
  c.send(head("GET", "/api/v1/me") + head("HEAD", "/api/v1/me") + head("GET", "/healthz"));
  auto get = c.response(5s);
  auto h = c.response(5s, /*headOnly=*/true);
  auto next = c.response(5s);
  ASSERT_TRUE(get && h && next);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->header("Content-Length"), std::to_string(get->body.size()));
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "ok\n") << "HEAD was answered with a body";
}

TEST_F(AdminFrontTest, Http10IsAnsweredAndClosedUnlessKeptAlive) {
  start();
  RawHttp once(port());
  once.send("GET /healthz HTTP/1.0\r\n\r\n");
  auto r = once.response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(once.closedWithin(3s));
  RawHttp kept(port());
  kept.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto k = kept.response(5s);
  ASSERT_TRUE(k);
  EXPECT_EQ(lowerAscii(k->header("Connection")), "keep-alive");
  kept.send("GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(kept.response(5s));
}

TEST_F(AdminFrontTest, ConnectionCloseIsHonoured) {
  start();
  RawHttp c(port());
  c.send(head("GET", "/api/v1/me", "Connection: close\r\n"));
  auto r = c.response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lowerAscii(r->header("Connection")), "close");
  EXPECT_TRUE(c.closedWithin(3s));
}

TEST_F(AdminFrontTest, MalformedHeadsAre400) {
  start();
  for (const std::string& bad :
       {std::string("GET /healthz\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nNo colon\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nName : v\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"),
        std::string("POST /api/v1/locations HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
        std::string("POST /api/v1/locations HTTP/1.1\r\nContent-Length: 1x\r\n\r\n")}) {
    RawHttp c(port());
    c.send(bad);
    auto r = c.response(5s);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad << " -> " << r->body;
    EXPECT_TRUE(c.closedWithin(3s)) << bad;
  }
  RawHttp v2(port());
  v2.send("GET /healthz HTTP/2.0\r\n\r\n");
  auto r = v2.response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 505);
}

}  // namespace
}  // namespace dcgw::admin
