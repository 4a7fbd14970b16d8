-- マイナポータル仮名ID per relying system (issue 15, QUA-05; decision 0189): the only name another system
-- (the national qualification registry) knows a resident by.  One random ID per person (PMH仮名識別子) and
-- system, made at first use; never the My Number, never the PMH仮名識別子, and different for every system, so
-- two systems cannot join their records on it.  Nothing of an application is kept here (QUA-04).
CREATE TABLE peers_mynaportal.system_pseudonyms (
  pmh_pseudonym text NOT NULL CHECK (pmh_pseudonym ~ '^PP[A-Z2-7]{26}$'),
  system text NOT NULL CHECK (system ~ '^[a-z][a-z0-9_-]{1,39}$'),
  pseudonym text NOT NULL UNIQUE CHECK (pseudonym ~ '^[A-Z]{2}[A-Z2-7]{26}$'),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (pmh_pseudonym, system)
);
GRANT SELECT, INSERT ON peers_mynaportal.system_pseudonyms TO mamori_mynaportal;
