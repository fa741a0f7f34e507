# A second file with two statements; each must run exactly once across every ApplyMigrations.
INSERT INTO courses (name) VALUES ('就业指导');

INSERT INTO courses (name) VALUES ('职业规划');
