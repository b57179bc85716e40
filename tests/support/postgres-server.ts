// The depot tests' throwaway PostgreSQL is the one `lockstep depot demo` starts (src/main/depot/local-postgres.ts).
export * from '../../src/main/depot/local-postgres.ts';
