// Ed25519 key pairs for tests that sign identity tokens.
#ifndef QUXIANG_LIBS_TESTING_KEYS_H_
#define QUXIANG_LIBS_TESTING_KEYS_H_

#include <string>

namespace quxiang::testing {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

// A new Ed25519 key pair in PEM.
KeyPair GenerateKeyPair();

}  // namespace quxiang::testing

#endif  // QUXIANG_LIBS_TESTING_KEYS_H_
