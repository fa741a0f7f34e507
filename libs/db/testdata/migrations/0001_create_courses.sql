-- A table for the migration tests. The comment below checks that the embedding keeps a raw
-- string terminator intact: )" and )sql" must survive.
CREATE TABLE courses (
  id BIGINT NOT NULL AUTO_INCREMENT,
  name VARCHAR(64) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
