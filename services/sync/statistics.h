// Real-time statistics of a class (数据统计), read from the counters that every roster and ledger
// change maintains (statistics_counters.h), and their recount.
//
// The 毕业去向落实率 (placement rate) is the share of a group's graduates whose destination falls
// in a placed category. Under the 2021 definition those are 协议和合同就业, 灵活就业, 自主创业 and
// 升学; under the 2024 definition 单位就业, 自主创业, 自由职业 and 升学. Each destination code's
// category comes from the class's code table (libs/codes).
#ifndef QUXIANG_SERVICES_SYNC_STATISTICS_H_
#define QUXIANG_SERVICES_SYNC_STATISTICS_H_

#include "absl/status/status.h"
#include "libs/clock/clock.h"
#include "libs/db/db.h"
#include "quxiang/sync/v1/sync.pb.h"
#include "services/sync/request_info.h"

namespace quxiang::sync {

class Statistics {
 public:
  Statistics(db::Pool& pool, const Clock& clock) : pool_(pool), clock_(clock) {}

  absl::Status GetStatistics(const RequestInfo& info, const v1::GetStatisticsRequest& request,
                             v1::Statistics* response);
  absl::Status RecountStatistics(const RequestInfo& info, const v1::RecountStatisticsRequest& request,
                                 v1::RecountStatisticsResponse* response);

 private:
  db::Pool& pool_;
  const Clock& clock_;
};

}  // namespace quxiang::sync

#endif  // QUXIANG_SERVICES_SYNC_STATISTICS_H_
