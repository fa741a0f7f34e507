// A child process for tests that run the real service binaries.
#ifndef QUXIANG_LIBS_TESTING_PROCESS_H_
#define QUXIANG_LIBS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace quxiang::testing {

class ChildProcess {
 public:
  // Starts `path` with `args` and the environment of the test plus `environment`; stdout and
  // stderr go to `log_file` (the test's temporary folder when empty).
  ChildProcess(const std::string& path, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& environment = {},
               const std::string& log_file = "");
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& log_file() const { return log_file_; }
  void Signal(int signal);
  // The exit status once the process ended within `timeout`; -signal when a signal ended it.
  std::optional<int> WaitExit(absl::Duration timeout);
  bool Running();
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::string log_file_;
};

// Waits until `path` holds a port number written by a server's --port_file; 0 on timeout.
int WaitForPortFile(const std::string& path, absl::Duration timeout, ChildProcess* process = nullptr);

// The build folder (QUXIANG_BUILD_DIR, which CTest sets) and the source folder.
std::string BuildDir();
std::string SourceDir();

// A fresh folder under the system's temporary directory.
std::string MakeTempDir(const std::string& prefix);

}  // namespace quxiang::testing

#endif  // QUXIANG_LIBS_TESTING_PROCESS_H_
