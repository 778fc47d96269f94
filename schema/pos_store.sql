-- Sample POS database of one store (and of head office, which is also store number 1).
-- It covers every group Centrale synchronises; the default catalog (catalog.toml) maps it.
-- Loaded by the demo and the tests; a starting point for new users.

-- ---- reference data: head office -> stores (pulled by jobs) --------------------------------

CREATE TABLE stores (
  id INT NOT NULL PRIMARY KEY,                 -- the store number
  name VARCHAR(80) NOT NULL,
  address VARCHAR(200) NOT NULL DEFAULT '',
  city VARCHAR(80) NOT NULL DEFAULT '',
  phone VARCHAR(30) NOT NULL DEFAULT '',
  is_hq TINYINT(1) NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE articles (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(32) NOT NULL UNIQUE,
  label VARCHAR(100) NOT NULL,
  family VARCHAR(40) NOT NULL DEFAULT '',
  price DECIMAL(10,2) NOT NULL DEFAULT 0,          -- price columns: see catalog.toml
  price_takeaway DECIMAL(10,2) NOT NULL DEFAULT 0,
  vat_rate DECIMAL(5,2) NOT NULL DEFAULT 20.00,
  printer VARCHAR(40) NOT NULL DEFAULT '',         -- printer definitions (kitchen, bar...)
  printer_2 VARCHAR(40) NOT NULL DEFAULT '',
  active TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE keyboards (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(60) NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE keyboard_keys (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  keyboard_id INT NOT NULL,
  page TINYINT UNSIGNED NOT NULL DEFAULT 1,
  position SMALLINT UNSIGNED NOT NULL,
  article_id INT NULL,
  caption VARCHAR(40) NOT NULL DEFAULT '',
  color CHAR(7) NOT NULL DEFAULT '#ffffff',
  UNIQUE KEY (keyboard_id, page, position),
  CONSTRAINT fk_key_keyboard FOREIGN KEY (keyboard_id) REFERENCES keyboards (id),
  CONSTRAINT fk_key_article FOREIGN KEY (article_id) REFERENCES articles (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE products (                            -- raw products / ingredients
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(32) NOT NULL UNIQUE,
  label VARCHAR(100) NOT NULL,
  unit VARCHAR(10) NOT NULL DEFAULT 'pc',
  cost DECIMAL(12,4) NOT NULL DEFAULT 0,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE technical_sheets (                    -- fiche technique: an article's recipe
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  article_id INT NOT NULL,
  product_id INT NOT NULL,
  quantity DECIMAL(12,4) NOT NULL,
  UNIQUE KEY (article_id, product_id),
  CONSTRAINT fk_sheet_article FOREIGN KEY (article_id) REFERENCES articles (id),
  CONSTRAINT fk_sheet_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- ---- shared both ways: customers ------------------------------------------------------------

CREATE TABLE customers (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  card_number VARCHAR(32) NOT NULL UNIQUE,         -- chain-wide key
  first_name VARCHAR(60) NOT NULL DEFAULT '',
  last_name VARCHAR(60) NOT NULL DEFAULT '',
  email VARCHAR(120) NULL,
  phone VARCHAR(30) NULL,
  points INT NOT NULL DEFAULT 0,
  created_store INT NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  KEY (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- ---- aggregated at head office: staff --------------------------------------------------------

CREATE TABLE salespeople (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(16) NOT NULL UNIQUE,
  first_name VARCHAR(60) NOT NULL,
  last_name VARCHAR(60) NOT NULL DEFAULT '',
  active TINYINT(1) NOT NULL DEFAULT 1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE time_clock_punches (                  -- pointages
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  salesperson_id INT NOT NULL,
  punched_at DATETIME(6) NOT NULL,
  kind ENUM('in','out','break_start','break_end') NOT NULL,
  CONSTRAINT fk_punch_salesperson FOREIGN KEY (salesperson_id) REFERENCES salespeople (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- ---- aggregated at head office: sales --------------------------------------------------------

CREATE TABLE sales (                               -- tickets
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ticket_no INT UNSIGNED NOT NULL,
  business_day DATE NOT NULL,
  opened_at DATETIME(6) NOT NULL,
  closed_at DATETIME(6) NULL,
  salesperson_id INT NULL,
  customer_card VARCHAR(32) NULL,
  total DECIMAL(12,2) NOT NULL DEFAULT 0,
  status ENUM('open','paid','void') NOT NULL DEFAULT 'open',
  KEY (business_day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE sale_lines (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sale_id BIGINT NOT NULL,
  line_no SMALLINT UNSIGNED NOT NULL,
  article_id INT NOT NULL,
  label VARCHAR(100) NOT NULL,
  quantity DECIMAL(10,3) NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  vat_rate DECIMAL(5,2) NOT NULL,
  CONSTRAINT fk_line_sale FOREIGN KEY (sale_id) REFERENCES sales (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE sale_payments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sale_id BIGINT NOT NULL,
  method ENUM('cash','card','cheque','voucher','other') NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  paid_at DATETIME(6) NOT NULL,
  CONSTRAINT fk_payment_sale FOREIGN KEY (sale_id) REFERENCES sales (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- ---- aggregated at head office: stock --------------------------------------------------------

CREATE TABLE stock_levels (
  article_id INT NOT NULL PRIMARY KEY,
  quantity DECIMAL(12,3) NOT NULL,
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE stock_movements (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  article_id INT NOT NULL,
  quantity DECIMAL(12,3) NOT NULL,
  kind ENUM('sale','receipt','transfer_in','transfer_out','adjustment','loss') NOT NULL,
  reference VARCHAR(40) NOT NULL DEFAULT '',
  moved_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE transfer_vouchers (                   -- bons de transfert
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  voucher_no VARCHAR(20) NOT NULL,
  from_store INT NOT NULL,
  to_store INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  status ENUM('draft','sent','received') NOT NULL DEFAULT 'draft'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE transfer_voucher_lines (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  voucher_id INT NOT NULL,
  article_id INT NOT NULL,
  quantity DECIMAL(12,3) NOT NULL,
  CONSTRAINT fk_tvl_voucher FOREIGN KEY (voucher_id) REFERENCES transfer_vouchers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE purchase_orders (                     -- bons de commande
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_no VARCHAR(20) NOT NULL,
  supplier VARCHAR(80) NOT NULL,
  ordered_at DATETIME(6) NOT NULL,
  status ENUM('draft','sent','partial','received','cancelled') NOT NULL DEFAULT 'draft',
  total DECIMAL(12,2) NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE purchase_order_lines (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id INT NOT NULL,
  product_id INT NOT NULL,
  quantity DECIMAL(12,3) NOT NULL,
  unit_cost DECIMAL(12,4) NOT NULL,
  CONSTRAINT fk_pol_order FOREIGN KEY (order_id) REFERENCES purchase_orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE receipts (                            -- bons de réception
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  receipt_no VARCHAR(20) NOT NULL,
  order_id INT NULL,
  received_at DATETIME(6) NOT NULL,
  supplier VARCHAR(80) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE receipt_lines (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  receipt_id INT NOT NULL,
  product_id INT NOT NULL,
  quantity DECIMAL(12,3) NOT NULL,
  unit_cost DECIMAL(12,4) NOT NULL,
  CONSTRAINT fk_rl_receipt FOREIGN KEY (receipt_id) REFERENCES receipts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
