-- No query reads consent records by import (an import's report and figures live with the import), yet every grant an
-- import wrote paid an entry in this index: one of the nine index entries a person costs an import.
DROP INDEX consent_records_import;
