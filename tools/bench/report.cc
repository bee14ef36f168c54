#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace arbor::bench {
namespace {

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Number(double value) {
  if (!std::isfinite(value)) return "null";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  return absl::StrFormat("%.3f", value);
}

}  // namespace

Result& Result::Label(std::string key, std::string value) {
  labels.emplace_back(std::move(key), std::move(value));
  return *this;
}

Result& Result::Value(std::string key, double value) {
  values.emplace_back(std::move(key), value);
  return *this;
}

double Result::Get(const std::string& key) const {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return 0;
}

std::string ToJsonLine(const Result& result) {
  std::string line = "{";
  const char* comma = "";
  for (const auto& [key, value] : result.labels) {
    absl::StrAppend(&line, comma, Quote(key), ":", Quote(value));
    comma = ",";
  }
  for (const auto& [key, value] : result.values) {
    absl::StrAppend(&line, comma, Quote(key), ":", Number(value));
    comma = ",";
  }
  return line + "}";
}

void Table::Print(std::FILE* out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      // First column left-aligned (names), the figures right-aligned.
      if (i == 0) {
        absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size(), ' '));
      } else {
        absl::StrAppend(&line, "  ", std::string(widths[i] - row[i].size(), ' '), row[i]);
      }
    }
    absl::FPrintF(out, "%s\n", line);
  }
  std::fflush(out);
}

bool Report::Flush() const {
  std::FILE* out = path_.empty() ? stdout : std::fopen(path_.c_str(), "w");
  if (out == nullptr) {
    absl::FPrintF(stderr, "arbor-bench: cannot write %s\n", path_);
    return false;
  }
  for (const Result& result : results_) absl::FPrintF(out, "%s\n", ToJsonLine(result));
  bool ok = std::fflush(out) == 0;
  if (out != stdout) ok = std::fclose(out) == 0 && ok;
  return ok;
}

std::string Micros(double us) { return absl::StrFormat("%.1f", us); }

std::string Rate(double per_second) { return absl::StrFormat("%.1fk", per_second / 1000.0); }

std::string Ratio(double ratio) { return absl::StrFormat("%.2fx", ratio); }

}  // namespace arbor::bench
