#include "install/diff.h"

#include <algorithm>
#include <vector>

namespace rg::install {
namespace {

struct Line {
  std::string_view text;  // without its newline
  bool has_newline;
};

std::vector<Line> split_lines(std::string_view text) {
  std::vector<Line> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back({text, false});
      break;
    }
    lines.push_back({text.substr(0, nl), true});
    text.remove_prefix(nl + 1);
  }
  return lines;
}

bool same(const Line& a, const Line& b) { return a.text == b.text && a.has_newline == b.has_newline; }

enum class Op { Keep, Remove, Add };
struct Edit {
  Op op;
  std::size_t before_index;  // line in `before` (Keep/Remove) or the insertion point (Add)
  std::size_t after_index;   // line in `after` (Keep/Add) or the insertion point (Remove)
};

// Longest common subsequence by dynamic programming: config files are a few hundred lines, so O(n·m)
// is a few hundred kilobytes at most, and the output is the minimal edit script diff(1) would print.
std::vector<Edit> edit_script(const std::vector<Line>& a, const std::vector<Line>& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      lcs[i][j] = same(a[i], b[j]) ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<Edit> edits;
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(a[i], b[j])) {
      edits.push_back({Op::Keep, i++, j++});
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      edits.push_back({Op::Add, i, j++});
    } else {
      edits.push_back({Op::Remove, i++, j});
    }
  }
  // diff(1) prints removals before additions within a change; the walk above may interleave them.
  for (std::size_t k = 0; k < edits.size();) {
    if (edits[k].op == Op::Keep) {
      ++k;
      continue;
    }
    std::size_t end = k;
    while (end < edits.size() && edits[end].op != Op::Keep) ++end;
    std::stable_partition(edits.begin() + static_cast<long>(k), edits.begin() + static_cast<long>(end),
                          [](const Edit& e) { return e.op == Op::Remove; });
    k = end;
  }
  // Re-number after the reordering so every edit knows where it sits in both texts.
  std::size_t before_pos = 0, after_pos = 0;
  for (Edit& e : edits) {
    e.before_index = before_pos;
    e.after_index = after_pos;
    if (e.op != Op::Add) ++before_pos;
    if (e.op != Op::Remove) ++after_pos;
  }
  return edits;
}

std::string range(std::size_t start, std::size_t count) {
  // diff -u numbers lines from 1; an empty range names the line before it.
  std::size_t first = count == 0 ? start : start + 1;
  return count == 1 ? std::to_string(first) : std::to_string(first) + "," + std::to_string(count);
}

void append_line(std::string& out, char prefix, const Line& line) {
  out += prefix;
  out += line.text;
  out += '\n';
  if (!line.has_newline) out += "\\ No newline at end of file\n";
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, std::string_view before_label,
                         std::string_view after_label) {
  constexpr std::size_t kContext = 3;
  auto a = split_lines(before), b = split_lines(after);
  auto edits = edit_script(a, b);
  std::vector<std::size_t> changes;
  for (std::size_t k = 0; k < edits.size(); ++k)
    if (edits[k].op != Op::Keep) changes.push_back(k);
  if (changes.empty()) return {};

  std::string out = "--- " + std::string(before_label) + "\n+++ " + std::string(after_label) + "\n";
  std::size_t c = 0;
  while (c < changes.size()) {
    // A hunk covers changes whose gaps are at most 2·context unchanged lines.
    std::size_t first = changes[c], last = changes[c];
    while (c + 1 < changes.size() && changes[c + 1] - last <= 2 * kContext + 1) last = changes[++c];
    ++c;
    std::size_t begin = first >= kContext ? first - kContext : 0;
    std::size_t end = std::min(edits.size(), last + kContext + 1);
    std::size_t before_start = edits[begin].before_index, after_start = edits[begin].after_index;
    std::size_t before_count = 0, after_count = 0;
    std::string body;
    for (std::size_t k = begin; k < end; ++k) {
      const Edit& e = edits[k];
      if (e.op == Op::Keep) {
        append_line(body, ' ', a[e.before_index]);
        ++before_count;
        ++after_count;
      } else if (e.op == Op::Remove) {
        append_line(body, '-', a[e.before_index]);
        ++before_count;
      } else {
        append_line(body, '+', b[e.after_index]);
        ++after_count;
      }
    }
    out += "@@ -" + range(before_start, before_count) + " +" + range(after_start, after_count) + " @@\n" + body;
  }
  return out;
}

}  // namespace rg::install
