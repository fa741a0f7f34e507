#include "libs/roster/graduate_record.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "openssl/evp.h"

namespace quxiang::roster {
namespace {

using R = GraduateRecord;

constexpr bool kRequired = true;
constexpr bool kOptional = false;
constexpr bool kDate = true;
constexpr bool kText = false;

// Other headers that school exports and provincial systems use for a column of the national
// layout (the 2024 就业方案 export, for example, writes 专业名称, 生源地代码 and 毕业日期).
constexpr std::array<std::pair<absl::string_view, absl::string_view>, 10> kHeaderAliases = {{
    {"身份证号码", "身份证号"},
    {"专业名称", "专业"},
    {"生源地代码", "生源所在地代码"},
    {"生源地名称", "生源所在地"},
    {"毕业日期", "毕业时间"},
    {"入学日期", "入学时间"},
    {"入学年月", "入学时间"},
    {"定向委培单位", "定向或委培单位"},
    {"手机号", "手机号码"},
    {"院系", "所在院系"},
}};

}  // namespace

bool operator==(const GraduateRecord& a, const GraduateRecord& b) {
  for (const RosterField& field : RosterFields()) {
    if (a.*field.member != b.*field.member) return false;
  }
  return true;
}

const std::vector<RosterField>& RosterFields() {
  static const auto* const kFields = new std::vector<RosterField>{
      {"考生号", &R::candidate_number, kOptional, kText},
      {"身份证号", &R::id_number, kRequired, kText},
      {"姓名", &R::name, kRequired, kText},
      {"性别代码", &R::gender_code, kRequired, kText},
      {"性别", &R::gender, kOptional, kText},
      {"民族代码", &R::ethnicity_code, kRequired, kText},
      {"民族", &R::ethnicity, kOptional, kText},
      {"政治面貌代码", &R::political_status_code, kRequired, kText},
      {"政治面貌", &R::political_status, kOptional, kText},
      {"院校代码", &R::school_code, kRequired, kText},
      {"院校名称", &R::school_name, kOptional, kText},
      {"分校名称", &R::branch_school_name, kOptional, kText},
      {"学历代码", &R::education_level_code, kRequired, kText},
      {"学历", &R::education_level, kOptional, kText},
      {"专业代码", &R::major_code, kRequired, kText},
      {"专业", &R::major_name, kRequired, kText},
      {"专业方向", &R::major_direction, kOptional, kText},
      {"培养方式代码", &R::training_mode_code, kRequired, kText},
      {"培养方式", &R::training_mode, kOptional, kText},
      {"定向或委培单位", &R::sponsoring_unit, kOptional, kText},
      {"生源所在地代码", &R::origin_code, kOptional, kText},
      {"生源所在地", &R::origin, kOptional, kText},
      {"城乡生源", &R::urban_or_rural_origin, kOptional, kText},
      {"学制", &R::schooling_length, kOptional, kText},
      {"入学时间", &R::enrolled_at, kOptional, kDate},
      {"毕业时间", &R::graduation_date, kRequired, kDate},
      {"师范生类别代码", &R::normal_student_category_code, kOptional, kText},
      {"师范生类别", &R::normal_student_category, kOptional, kText},
      {"困难生类别代码", &R::difficulty_category_code, kOptional, kText},
      {"困难生类别", &R::difficulty_category, kOptional, kText},
      {"所在院系", &R::department, kRequired, kText},
      {"所在班级", &R::class_name, kOptional, kText},
      {"学号", &R::student_number, kRequired, kText},
      {"出生日期", &R::birth_date, kOptional, kDate},
      {"就业协议书号", &R::agreement_number, kOptional, kText},
      {"入学前户口所在地派出所", &R::household_police_station, kOptional, kText},
      {"档案是否转入学校", &R::archive_transferred_to_school, kOptional, kText},
      {"户口是否转入学校", &R::household_transferred_to_school, kOptional, kText},
      {"手机号码", &R::phone, kOptional, kText},
      {"电子邮箱", &R::email, kOptional, kText},
      {"家长姓名", &R::parent_name, kOptional, kText},
      {"家庭住址", &R::home_address, kOptional, kText},
      {"家庭电话", &R::home_phone, kOptional, kText},
      {"家庭邮编", &R::home_postal_code, kOptional, kText},
  };
  return *kFields;
}

const RosterField* FindRosterField(absl::string_view header) {
  static const auto* const kByHeader = [] {
    auto* by_header = new absl::flat_hash_map<absl::string_view, const RosterField*>();
    for (const RosterField& field : RosterFields()) by_header->emplace(field.header, &field);
    for (const auto& [alias, header] : kHeaderAliases) by_header->emplace(alias, by_header->at(header));
    return by_header;
  }();
  const auto it = kByHeader->find(header);
  return it == kByHeader->end() ? nullptr : it->second;
}

std::string Fingerprint(const GraduateRecord& record) {
  // Each non-empty field enters as <header>=<length in bytes>:<value>; the length prefix makes the
  // input unambiguous whatever bytes a value contains.
  std::string input;
  for (const RosterField& field : RosterFields()) {
    const std::string& value = record.*field.member;
    if (value.empty()) continue;
    absl::StrAppend(&input, field.header, "=", value.size(), ":", value, ";");
  }

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), static_cast<std::size_t>(digest_length)));
}

}  // namespace quxiang::roster
