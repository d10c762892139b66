-- check.sql: SQL whose output must be the same byte for byte from sqlrun
-- (libsqlite3.wasm split from the main), its static twin and the host's
-- sqlite3 shell (`sqlite3 :memory: < check.sql`, list mode).
CREATE TABLE city(id INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT, population INTEGER, area REAL);
INSERT INTO city(name, country, population, area) VALUES
  ('Lisbon', 'PT', 545923, 100.05), ('Porto', 'PT', 231800, 41.42),
  ('Madrid', 'ES', 3305408, 604.3), ('Bilbao', 'ES', 346843, 41.6),
  ('Lyon', 'FR', 522250, 47.87), ('Nice', 'FR', 342669, 71.92), ('Andorra', 'AD', NULL, 12.0);
CREATE INDEX city_country ON city(country);
SELECT name, population FROM city WHERE country = 'PT' ORDER BY population DESC;
SELECT country, count(*), sum(population), printf('%.3f', avg(area)) FROM city GROUP BY country ORDER BY country;
SELECT name, printf('%8.1f', population / area) FROM city WHERE population IS NOT NULL ORDER BY population / area DESC LIMIT 3;
SELECT upper(name), length(name), substr(name, 2, 3), replace(name, 'o', '0') FROM city ORDER BY id;
SELECT name, row_number() OVER (PARTITION BY country ORDER BY population DESC),
       sum(population) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM city ORDER BY id;
WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT n + 1, b, a + b FROM fib WHERE n < 60)
  SELECT n, a FROM fib WHERE n % 10 = 0;
WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < 100000)
  SELECT count(*), sum(x), sum(x * x) % 1000003, max(x) FROM seq;
CREATE TABLE log(id INTEGER PRIMARY KEY, what TEXT);
CREATE TRIGGER city_added AFTER INSERT ON city BEGIN INSERT INTO log(what) VALUES ('added ' || new.name); END;
INSERT INTO city(name, country, population, area) VALUES ('Braga', 'PT', 193333, 183.4);
SELECT * FROM log;
CREATE VIEW big AS SELECT name FROM city WHERE population > 500000;
SELECT * FROM big ORDER BY name;
BEGIN; DELETE FROM city; ROLLBACK;
SELECT count(*) FROM city;
INSERT INTO city(id, name, country) VALUES (1, 'Lisboa', 'PT') ON CONFLICT(id) DO UPDATE SET name = excluded.name;
SELECT id, name FROM city WHERE id = 1;
SELECT json_object('name', name, 'pop', population) FROM city WHERE country = 'FR' ORDER BY id;
SELECT json_extract('{"a": [1, 2, {"b": "x"}]}', '$.a[2].b'), typeof(1.5), typeof(NULL), 7 / 2, 7 / 2.0, -7 % 3;
SELECT a.name, b.name FROM city a JOIN city b ON a.country = b.country AND a.id < b.id ORDER BY a.id, b.id;
SELECT quote(x'00ff'), hex('wasm'), coalesce(NULL, NULL, 'third'), nullif(3, 3), abs(-42), round(3.14159, 3);
