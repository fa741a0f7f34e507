#include "libs/testing/keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

namespace quxiang::testing {

KeyPair GenerateKeyPair() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  BIO* private_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(private_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* public_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(public_bio, key);

  KeyPair pair;
  char* data = nullptr;
  long length = BIO_get_mem_data(private_bio, &data);
  pair.private_pem.assign(data, length);
  length = BIO_get_mem_data(public_bio, &data);
  pair.public_pem.assign(data, length);

  BIO_free(private_bio);
  BIO_free(public_bio);
  EVP_PKEY_free(key);
  return pair;
}

}  // namespace quxiang::testing
