-- auth-manager's database in the compose suite (the image creates `test`, the one `npm test` uses, itself).
CREATE DATABASE auth_manager;
