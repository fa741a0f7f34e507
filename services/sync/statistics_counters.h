// The statistics counters (see migrations/0004_statistics.sql) and the deltas that keep them
// equal to a recount. Each graduate contributes one to four counters while it is ACTIVE: one per
// dimension (department, major, education level, gender), under its destination code and signed
// flag. A change of the roster or the ledger removes the graduate's old contribution and adds
// the new one in the same transaction.
#ifndef QUXIANG_SERVICES_SYNC_STATISTICS_COUNTERS_H_
#define QUXIANG_SERVICES_SYNC_STATISTICS_COUNTERS_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/db/db.h"
#include "services/sync/graduate_repository.h"
#include "services/sync/ledger_repository.h"

namespace quxiang::sync {

// Values of statistics_counters.dimension.
enum class Dimension { kDepartment = 1, kMajor = 2, kEducationLevel = 3, kGender = 4 };

// The destination code counted for a graduate without an effective destination (待就业).
inline constexpr char kNoDestinationCode[] = "70";

struct CounterKey {
  int64_t school_id = 0;
  int class_year = 0;
  std::string department;
  int dimension = 0;
  std::string value;
  std::string destination_code;
  bool signed_agreement = false;

  friend bool operator<(const CounterKey& a, const CounterKey& b) {
    return std::tie(a.school_id, a.class_year, a.department, a.dimension, a.value, a.destination_code,
                    a.signed_agreement) < std::tie(b.school_id, b.class_year, b.department, b.dimension, b.value,
                                                   b.destination_code, b.signed_agreement);
  }
  friend bool operator==(const CounterKey& a, const CounterKey& b) { return !(a < b) && !(b < a); }
};

struct CounterRow {
  CounterKey key;
  std::string display_name;
  int64_t graduates = 0;
};

// The counter changes of one transaction, applied in key order so that concurrent transactions
// lock the counter rows in the same order.
class CounterDelta {
 public:
  // Adds `sign` (+1 or -1) times the contribution of `graduate` with `ledger`; nothing for a
  // graduate that is not ACTIVE.
  void Add(const GraduateRow& graduate, const LedgerRow& ledger, int sign);

  bool empty() const;
  // The changes by counter, zeros included, and the names that go with them.
  const std::map<CounterKey, int64_t>& deltas() const { return deltas_; }
  const std::map<CounterKey, std::string>& names() const { return names_; }
  // Writes the non-zero changes with multi-row INSERT … ON DUPLICATE KEY UPDATE graduates =
  // graduates + delta.
  absl::Status Apply(db::Session& s) const;

 private:
  std::map<CounterKey, int64_t> deltas_;
  std::map<CounterKey, std::string> names_;
};

class StatisticsRepository {
 public:
  // The non-zero counters of a school and class, of one department when `department` is set.
  static absl::StatusOr<std::vector<CounterRow>> ListCounters(db::Session& s, int64_t school_id, int class_year,
                                                              const std::string& department);
  // Replaces the counters of a school and class with a recount of its ACTIVE graduates and
  // their ledger entries, which it locks first. Returns how many counter rows changed value.
  static absl::StatusOr<int64_t> Recount(db::Session& s, int64_t school_id, int class_year, int64_t* counter_rows);
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_STATISTICS_COUNTERS_H_
