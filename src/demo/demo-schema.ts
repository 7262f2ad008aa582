/** A small shop: related tables of varied types, a view, a partitioned table. */
export const DEMO_SCHEMA_SQL = `
CREATE SCHEMA shop;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE shop.customers (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name varchar(100) NOT NULL,
  country char(2),
  created_at timestamptz NOT NULL DEFAULT now(),
  preferences jsonb
);
CREATE TABLE shop.products (
  sku uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title text NOT NULL,
  price numeric(12,2) NOT NULL,
  tags text[],
  weight_kg real,
  available_from date
);
CREATE TABLE shop.orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES shop.customers(id),
  status shop.order_status NOT NULL DEFAULT 'new',
  total numeric(14,2) NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE shop.order_lines (
  order_id bigint REFERENCES shop.orders(id),
  line_no int,
  sku uuid REFERENCES shop.products(sku),
  quantity int NOT NULL,
  PRIMARY KEY (order_id, line_no)
);
CREATE TABLE shop.events (
  at timestamptz NOT NULL,
  kind text NOT NULL,
  payload jsonb
) PARTITION BY RANGE (at);
CREATE TABLE shop.events_2025 PARTITION OF shop.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.events_2026 PARTITION OF shop.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE VIEW shop.order_totals AS
  SELECT c.id AS customer_id, c.email, count(o.id) AS orders, coalesce(sum(o.total), 0) AS spent
  FROM shop.customers c LEFT JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.id, c.email;

INSERT INTO shop.customers (email, name, country, preferences)
  SELECT 'user' || i || '@example.com', 'User ' || i, (ARRAY['DE','FR','US','JP'])[1 + i % 4],
         jsonb_build_object('newsletter', i % 2 = 0, 'score', i * 1.5)
  FROM generate_series(1, 200) i;
INSERT INTO shop.products (title, price, tags, weight_kg, available_from)
  SELECT 'Product ' || i, (i * 3.99)::numeric(12,2), ARRAY['tag' || (i % 5), 'demo'], i * 0.25, DATE '2025-01-01' + i
  FROM generate_series(1, 50) i;
INSERT INTO shop.orders (customer_id, status, total, updated_at)
  SELECT 1 + i % 200, (ARRAY['new','paid','shipped'])[1 + i % 3]::shop.order_status, (i % 97) * 1.25,
         now() - (1000 - i) * interval '1 minute'
  FROM generate_series(1, 1000) i;
INSERT INTO shop.events (at, kind, payload)
  SELECT TIMESTAMPTZ '2025-06-01' + i * interval '1 hour', 'page_view', jsonb_build_object('n', i)
  FROM generate_series(1, 500) i;
ANALYZE;
`;
