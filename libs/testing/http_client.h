// A small blocking HTTP/1.1 client with a cookie jar, for tests that talk to the real gateway.
#ifndef QUXIANG_LIBS_TESTING_HTTP_CLIENT_H_
#define QUXIANG_LIBS_TESTING_HTTP_CLIENT_H_

#include <map>
#include <string>

#include "google/protobuf/struct.pb.h"

namespace quxiang::testing {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;

  // The body parsed as JSON (an empty Struct when it is not a JSON object).
  google::protobuf::Struct Json() const;
  // A string field of the JSON body by dotted path ("user.id"); "" when missing.
  std::string String(const std::string& path) const;
  double Number(const std::string& path) const;
  std::string Header(const std::string& name) const;
};

class HttpClient {
 public:
  explicit HttpClient(int port, std::string host = "127.0.0.1") : host_(std::move(host)), port_(port) {}

  // Sends a request; cookies set by earlier responses go along, and writes carry the
  // X-CSRF-Token header taken from the qx_csrf cookie, as the console does.
  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {});
  HttpResponse Get(const std::string& target) { return Send("GET", target); }
  HttpResponse Post(const std::string& target, const std::string& body) { return Send("POST", target, body); }
  HttpResponse Patch(const std::string& target, const std::string& body) { return Send("PATCH", target, body); }

  // POST /v1/sessions:login.
  HttpResponse Login(const std::string& username, const std::string& password);

  void set_send_csrf(bool send) { send_csrf_ = send; }
  std::map<std::string, std::string>& cookies() { return cookies_; }

 private:
  std::string host_;
  int port_;
  bool send_csrf_ = true;
  std::map<std::string, std::string> cookies_;
};

// Quotes `text` as a JSON string literal.
std::string JsonQuote(const std::string& text);

}  // namespace quxiang::testing

#endif  // QUXIANG_LIBS_TESTING_HTTP_CLIENT_H_
