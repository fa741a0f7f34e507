#include "libs/logging/logging.h"

#include <cctype>
#include <chrono>
#include <memory>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "spdlog/formatter.h"
#include "spdlog/sinks/stdout_sinks.h"

ABSL_FLAG(std::string, log_format, "text", "Log line format: text (for people) or json (one JSON object a line).");
ABSL_FLAG(std::string, log_level, "info", "Lowest level logged: trace, debug, info, warn or error.");

namespace quxiang::logging {
namespace {

bool IsIdNumberAt(std::string_view text, size_t pos) {
  if (pos + 18 > text.size()) return false;
  for (size_t i = 0; i < 17; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[pos + i]))) return false;
  }
  char last = text[pos + 17];
  return std::isdigit(static_cast<unsigned char>(last)) || last == 'X' || last == 'x';
}

bool IsDigitAt(std::string_view text, size_t pos) {
  return pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]));
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

class MaskingFormatter final : public spdlog::formatter {
 public:
  MaskingFormatter(std::string process, bool json) : process_(std::move(process)), json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string text = MaskSensitive(std::string_view(msg.payload.data(), msg.payload.size()));
    absl::Time time = absl::FromChrono(msg.time);
    std::string timestamp = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
    std::string line;
    if (json_) {
      line = absl::StrFormat(R"({"ts":"%s","level":"%s","process":"%s","msg":"%s"})"
                             "\n",
                             timestamp, LevelName(msg.level), process_, JsonEscape(text));
    } else {
      line = absl::StrFormat("%s %-5s %s %s\n", timestamp, LevelName(msg.level), process_, text);
    }
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<MaskingFormatter>(process_, json_);
  }

 private:
  std::string process_;
  bool json_;
};

}  // namespace

void Init(std::string_view process_name) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(std::string(process_name), sink);
  bool json = absl::GetFlag(FLAGS_log_format) == "json";
  logger->set_formatter(std::make_unique<MaskingFormatter>(std::string(process_name), json));
  logger->set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string MaskSensitive(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool starts_number = !IsDigitAt(text, i - 1) || i == 0;
    if (starts_number && IsIdNumberAt(text, i) && !IsDigitAt(text, i + 18)) {
      out.append(MaskIdNumber(text.substr(i, 18)));
      i += 18;
      continue;
    }
    for (std::string_view prefix : {std::string_view("Bearer "), std::string_view("token=")}) {
      if (text.substr(i, prefix.size()) == prefix) {
        out.append(prefix);
        out.append("***");
        i += prefix.size();
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
               text[i] != '"' && text[i] != '&' && text[i] != ',') {
          ++i;
        }
        break;
      }
    }
    if (i < text.size()) out.push_back(text[i]);
    ++i;
  }
  return out;
}

std::string MaskIdNumber(std::string_view id_number) {
  if (id_number.size() <= 10) return std::string(id_number.size(), '*');
  std::string masked(id_number.substr(0, 6));
  masked.append(id_number.size() - 10, '*');
  masked.append(id_number.substr(id_number.size() - 4));
  return masked;
}

std::string MaskPhone(std::string_view phone) {
  if (phone.size() < 7) return std::string(phone.size(), '*');
  std::string masked(phone.substr(0, 3));
  masked.append(phone.size() - 7, '*');
  masked.append(phone.substr(phone.size() - 4));
  return masked;
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<int>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

}  // namespace quxiang::logging
