// Roster input: a roster file (UploadRoster) or structured records (UpsertGraduates), both
// validated row by row with libs/roster and stored with the same change rules.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libs/roster/graduate_record.h"
#include "libs/roster/roster_reader.h"
#include "libs/roster/roster_validator.h"
#include "libs/status/status_macros.h"
#include "libs/validation/validation.h"
#include "spdlog/spdlog.h"
#include "tools/ems-simulator/roster_conversion.h"
#include "tools/ems-simulator/simulator.h"

namespace quxiang::ems_simulator {
namespace {

void AddRowErrors(const std::vector<roster::RowError>& errors, v1::UploadRosterResponse* report) {
  for (const roster::RowError& error : errors) {
    v1::RosterRowError* row_error = report->add_row_errors();
    row_error->set_row(error.row);
    row_error->set_column(error.column);
    row_error->set_value(error.value);
    row_error->set_reason(error.reason);
    row_error->set_message(error.message);
  }
}

}  // namespace

absl::Status EmsSimulator::UploadRoster(const v1::UploadRosterRequest& request, v1::UploadRosterResponse* report) {
  RETURN_IF_ERROR(validation::ValidateSchoolCode(request.school_code(), "school_code"));
  RETURN_IF_ERROR(CheckClassYear(request.class_year()));

  // The whole file is read before anything is stored, so a file that turns out damaged halfway
  // (a broken XLSX worksheet) stores nothing.
  ASSIGN_OR_RETURN(std::unique_ptr<roster::RosterReader> reader,
                   roster::RosterReader::Open(request.content(), request.file_name()));
  roster::RosterValidator validator(request.school_code(), request.class_year(), clock_.Now());
  std::vector<v1::RosterGraduate> valid;
  roster::GraduateRecord record;
  int row = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool has_record, reader->Next(&record, &row));
    if (!has_record) break;
    report->set_rows_read(report->rows_read() + 1);

    std::vector<roster::RowError> errors = validator.Validate(record, row);
    if (!errors.empty()) {
      AddRowErrors(errors, report);
      continue;
    }
    valid.push_back(ToRosterGraduate(record));
  }

  spdlog::info("roster file read school={} class_year={} format={} rows={} invalid_rows={}", request.school_code(),
               request.class_year(), std::string(roster::RosterFormatName(reader->format())), report->rows_read(),
               report->rows_read() - static_cast<int>(valid.size()));
  StoreGraduates(request.school_code(), request.class_year(), valid, report);
  return absl::OkStatus();
}

absl::Status EmsSimulator::UpsertGraduates(const v1::UpsertGraduatesRequest& request,
                                           v1::UploadRosterResponse* report) {
  RETURN_IF_ERROR(validation::ValidateSchoolCode(request.school_code(), "school_code"));
  RETURN_IF_ERROR(CheckClassYear(request.class_year()));

  // Each graduate is validated as the roster file row at its 1-based position in the request.
  roster::RosterValidator validator(request.school_code(), request.class_year(), clock_.Now());
  std::vector<v1::RosterGraduate> valid;
  report->set_rows_read(request.graduates_size());
  for (int i = 0; i < request.graduates_size(); ++i) {
    v1::RosterGraduate graduate = request.graduates(i);
    if (graduate.school_code().empty()) graduate.set_school_code(request.school_code());

    std::vector<roster::RowError> errors = validator.Validate(ToGraduateRecord(graduate), i + 1);
    if (!errors.empty()) {
      AddRowErrors(errors, report);
      continue;
    }
    valid.push_back(std::move(graduate));
  }

  StoreGraduates(request.school_code(), request.class_year(), valid, report);
  return absl::OkStatus();
}

void EmsSimulator::StoreGraduates(absl::string_view school_code, int class_year,
                                  const std::vector<v1::RosterGraduate>& graduates, v1::UploadRosterResponse* report) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, Graduate>& school = schools_[std::string(school_code)];

  for (v1::RosterGraduate record : graduates) {
    const std::string id_number = validation::NormalizeIdNumber(record.id_number());
    record.set_id_number(id_number);
    std::string fingerprint = roster::Fingerprint(ToGraduateRecord(record));

    const std::string key = GraduateKey(school_code, id_number);
    auto [it, inserted] = school.try_emplace(key);
    Graduate& graduate = it->second;
    if (inserted) {
      graduate.id_number = id_number;
      report->set_inserted(report->inserted() + 1);
    } else if (graduate.removed) {
      report->set_restored(report->restored() + 1);
    } else if (graduate.class_year == class_year && graduate.fingerprint == fingerprint) {
      report->set_unchanged(report->unchanged() + 1);
      continue;
    } else {
      report->set_updated(report->updated() + 1);
    }

    graduate.class_year = class_year;
    graduate.record = std::move(record);
    graduate.fingerprint = std::move(fingerprint);
    graduate.removed = false;
    AppendChangeLocked(school_code, key, graduate, v1::ROSTER_CHANGE_TYPE_UPSERT);
  }

  spdlog::info("roster stored school={} class_year={} inserted={} updated={} unchanged={} restored={} row_errors={}",
               std::string(school_code), class_year, report->inserted(), report->updated(), report->unchanged(),
               report->restored(), report->row_errors_size());
}

}  // namespace quxiang::ems_simulator
