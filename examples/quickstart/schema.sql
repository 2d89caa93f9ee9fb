-- The example shop database: `sqltest init` builds shop.duckdb from this file
-- and the CSV files in data/ (loaded in the order the tables are created).
create table customers (
    id integer primary key,
    name varchar not null,
    email varchar not null,
    country varchar(2),
    signed_up date not null
);
create table products (
    id integer primary key,
    sku varchar not null,
    name varchar not null,
    category varchar not null,
    price decimal(10, 2) not null
);
-- No foreign key on customer_id: orders come from the web shop, customers from
-- a nightly CRM export, so an order may name a customer the export lacks.
create table orders (
    id integer primary key,
    customer_id integer not null,
    ordered_at timestamp not null,
    status varchar not null,
    total decimal(10, 2) not null
);
create table order_items (
    order_id integer not null references orders (id),
    line_no integer not null,
    product_id integer not null references products (id),
    quantity integer not null,
    unit_price decimal(10, 2) not null,
    primary key (order_id, line_no)
);
