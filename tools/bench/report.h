// What the bench prints: aligned tables for people, and one JSON object per
// result line for programs (to --jsonl FILE, or stdout after the tables).
#ifndef ARBOR_TOOLS_BENCH_REPORT_H_
#define ARBOR_TOOLS_BENCH_REPORT_H_

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace arbor::bench {

// One measured result: what was measured (string fields) and the figures.
struct Result {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<std::string, double>> values;

  Result& Label(std::string key, std::string value);
  Result& Value(std::string key, double value);
  // The figure named `key`; 0 when absent.
  double Get(const std::string& key) const;
};

// {"key":"value",...,"key":number}: labels first, then values.
std::string ToJsonLine(const Result& result);

// Columns padded to their widest cell; printed when complete.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::FILE* out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// Where results go: every Result is kept and, at Flush, written as JSON lines.
class Report {
 public:
  // Empty path: stdout.
  explicit Report(std::string jsonl_path) : path_(std::move(jsonl_path)) {}
  void Add(Result result) { results_.push_back(std::move(result)); }
  // Writes the JSON lines; false (and a message on stderr) if the file fails.
  bool Flush() const;

 private:
  std::string path_;
  std::vector<Result> results_;
};

// "%.1f" for latencies, thousands for rates, "%.2fx" for ratios.
std::string Micros(double us);
std::string Rate(double per_second);
std::string Ratio(double ratio);

}  // namespace arbor::bench

#endif  // ARBOR_TOOLS_BENCH_REPORT_H_
