-- ASP.NET Core Data Protection keys (login cookies, antiforgery tokens), shared by every node.
CREATE TABLE data_protection_keys (
    name text PRIMARY KEY,
    xml text NOT NULL,
    created_at bigint NOT NULL
);
