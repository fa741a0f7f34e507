-- Statistics counters: the number of ACTIVE graduates of a school and class per department, per
-- value of one dimension (1 department, 2 major code, 3 education level code, 4 gender code), per
-- destination code (70 while the ledger has no effective destination) and per signed flag (the
-- effective destination came from online signing, an offline e-agreement or a paper agreement).
-- Every change of the roster or the ledger adjusts them in its own transaction by atomic
-- increments, so they always equal a recount; rows that fall to zero stay.
CREATE TABLE statistics_counters (
  school_id BIGINT NOT NULL,
  class_year SMALLINT NOT NULL,
  department VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  dimension TINYINT NOT NULL,
  dimension_value VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  destination_code VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  signed BOOLEAN NOT NULL,
  -- The value's name as the roster last gave it (the major's name for a major code).
  display_name VARCHAR(128) NOT NULL DEFAULT '',
  graduates INT NOT NULL,
  PRIMARY KEY (school_id, class_year, department, dimension, dimension_value, destination_code, signed)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The counters of graduates stored before this table existed.
INSERT INTO statistics_counters (school_id, class_year, department, dimension, dimension_value, destination_code,
                                 signed, display_name, graduates)
SELECT g.school_id, g.class_year, g.department, d.dimension,
       CASE d.dimension WHEN 1 THEN g.department WHEN 2 THEN g.major_code WHEN 3 THEN g.education_level_code
                        ELSE g.gender_code END,
       IF(l.state = 3, l.destination_code, '70'), l.state = 3 AND l.holder_flow IN (1, 2, 3),
       MAX(CASE d.dimension WHEN 1 THEN g.department WHEN 2 THEN g.major_name WHEN 3 THEN g.education_level
                            ELSE g.gender END),
       COUNT(*)
FROM graduates g
JOIN ledger l ON l.graduate_id = g.id
JOIN (SELECT 1 AS dimension UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) d
WHERE g.state = 1
GROUP BY g.school_id, g.class_year, g.department, d.dimension,
         CASE d.dimension WHEN 1 THEN g.department WHEN 2 THEN g.major_code WHEN 3 THEN g.education_level_code
                          ELSE g.gender_code END,
         IF(l.state = 3, l.destination_code, '70'), l.state = 3 AND l.holder_flow IN (1, 2, 3);
