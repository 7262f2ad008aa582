/**
 * A table `all_types` with a column of every type family and two rows: id 1 with a value in each
 * (inserted from a session in Asia/Kolkata), id 2 with NULLs. Used wherever values are compared.
 */
export const ALL_TYPES_SQL = `
      CREATE EXTENSION citext; CREATE EXTENSION hstore;
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE DOMAIN price AS numeric(10,2);
      CREATE TYPE address AS (street text, zip int);
      CREATE TABLE all_types (
        id int PRIMARY KEY, i2 smallint, i8 bigint, n_free numeric, n_fixed numeric(12,2), n_nan numeric,
        r4 real, f8 double precision, f8_inf double precision, m money, b boolean, c3 char(3), vc varchar(50), t text, ci citext,
        u uuid, j json, jb jsonb, x xml, by bytea, d date, d_bc date, t0 time, ttz timetz,
        ts timestamp, tstz timestamptz, tstz_inf timestamptz, iv interval, ip inet, cidr_ cidr, mac macaddr,
        bits bit(4), vbits varbit(8), r int4range, tsr tstzrange, pt point, bx box, tsv tsvector, e mood,
        dom price, comp address, hs hstore, a1 int[], a2 int[][], at text[], an numeric[], ats timestamptz[]
      );
      SET TimeZone = 'Asia/Kolkata';
      INSERT INTO all_types VALUES (
        1, -32768, 9007199254740993, 12345678901234567890.123456789, 1234567890.12, 'NaN',
        3.4028235e38, 0.1, 'Infinity', '12.34', true, 'ab', 'varchar ✓', E'line1\\nline2\\t"q" \\\\', 'CaseLess',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2.50],\n "b": null}', '{"big": 123456789012345678901234567890, "s": "x\\"}{"}', '<a>1</a>', '\\xdeadbeef',
        '2024-02-29', '0044-03-15 BC', '13:14:15.123456', '13:14:15+02', '2024-01-02 03:04:05.123456',
        '2024-01-02 08:34:05.123456+05:30', 'infinity', '1 year 2 mons 3 days 04:05:06.5', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03',
        B'1010', B'101', '[1,10)', '[2024-01-01 00:00:00+00,2024-02-01 00:00:00+00)', '(1.5,2)', '((0,0),(1,1))', 'a fat cat', 'happy',
        '19.99', ROW('Main St', 12345), 'k=>v, "a b"=>NULL', '{1,NULL,3}', '{{1,2},{3,4}}', '{"a,b","NULL",NULL,"q\\"x"}',
        '{1.10,99999999999999999999.5}', '{"2024-01-02 03:04:05.5+00"}'
      );
      RESET TimeZone;
      INSERT INTO all_types (id) VALUES (2);
    `;
