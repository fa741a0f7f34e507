#include "services/sync/code_table_catalog.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "libs/codes/code_tables.h"
#include "libs/status/error.h"
#include "libs/status/status_macros.h"
#include "services/sync/authorization.h"

namespace quxiang::sync {
namespace {

// The table's id in paths: its file name without ".csv", for example "destination-codes".
std::string TableId(codes::Table table) {
  return std::string(absl::StripSuffix(codes::TableFileName(table), ".csv"));
}

}  // namespace

absl::StatusOr<int> CodeTableCatalog::ResolveClass(int class_year) const {
  if (class_year == 0) return static_cast<int>(absl::ToCivilYear(clock_.Now(), BeijingTimeZone()).year());
  if (class_year < 2000 || class_year > 2100) {
    return InvalidArgument("INVALID_CLASS_YEAR",
                           absl::StrCat("毕业年份（届）无效：", class_year, "。请填写 2000 到 2100 之间的年份，例如 2025。"),
                           {{"field", "class_year"}, {"value", std::to_string(class_year)}});
  }
  return class_year;
}

absl::Status CodeTableCatalog::ListCodeTables(const RequestInfo& info, const v1::ListCodeTablesRequest& request,
                                              v1::ListCodeTablesResponse* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  ASSIGN_OR_RETURN(int class_year, ResolveClass(request.class_year()));
  const codes::CodeTables& tables = codes::CodeTables::ForClass(class_year);
  response->Clear();
  response->set_class_year(class_year);
  response->set_version(tables.version());
  for (codes::Table table : codes::kAllTables) {
    v1::CodeTableInfo* entry = response->add_tables();
    entry->set_table(TableId(table));
    entry->set_display_name(std::string(codes::TableDisplayName(table)));
    entry->set_code_count(static_cast<int32_t>(tables.List(table).size()));
  }
  return absl::OkStatus();
}

absl::Status CodeTableCatalog::GetCodeTable(const RequestInfo& info, const v1::GetCodeTableRequest& request,
                                            v1::CodeTable* response) {
  if (info.principal == nullptr) return NotLoggedIn();
  ASSIGN_OR_RETURN(int class_year, ResolveClass(request.class_year()));
  const codes::Table* found = nullptr;
  std::vector<std::string> ids;
  for (const codes::Table& table : codes::kAllTables) {
    ids.push_back(TableId(table));
    if (ids.back() == request.table()) found = &table;
  }
  if (found == nullptr) {
    return NotFound("CODE_TABLE_NOT_FOUND",
                    absl::StrCat("代码表“", request.table(), "”不存在。可用的代码表有：", absl::StrJoin(ids, "、"), "。"),
                    {{"table", request.table()}});
  }

  const codes::CodeTables& tables = codes::CodeTables::ForClass(class_year);
  response->Clear();
  response->set_table(request.table());
  response->set_display_name(std::string(codes::TableDisplayName(*found)));
  response->set_class_year(class_year);
  response->set_version(tables.version());
  for (const codes::Code& row : tables.List(*found)) {
    v1::Code* code = response->add_codes();
    code->set_code(row.code);
    code->set_name(row.name);
    code->set_parent(row.parent);
    code->set_category_2021(row.category_2021);
    code->set_category_2024(row.category_2024);
    code->set_level_group(row.level_group);
    code->set_online_signing(row.online_signing);
    code->set_industry_section(row.industry_section);
    code->set_note(row.note);
  }
  return absl::OkStatus();
}

}  // namespace quxiang::sync
