// Public face of the staff pages.
import { registerContactPages } from './contacts.js';
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/index.js';
import { registerAuthPages, type AuthOptions } from './auth.js';
import { registerHomePages } from './home.js';
import { registerAccountPages } from './accounts.js';
import { registerAdminPages } from './admin.js';
import { registerAuditPages } from './audit.js';
import { registerResidentPages } from './residents.js';
import { registerVaccinationPages } from './vaccinations.js';
import { registerStatisticsPages } from './statistics.js';
import { registerScheduleConfigPages } from './schedule-config.js';
import { registerNoticePages } from './notices.js';
import { registerExtractionPages } from './extractions.js';
import { registerCertificatePages } from './certificates.js';
import { registerHandlerPages } from './handlers.js';
import { registerRegisterPages } from './registers.js';
import { registerExchangePages } from './exchange.js';
import { registerExchangeAdminPages } from './exchange-admin.js';
import { registerPlatformPages } from './platform.js';
import { registerBillingPages } from './billing.js';
import type { MunicipalExchange } from '../../municipality/exchange/index.js';

export function registerStaffPages(fastify: FastifyInstance, app: App, opts: AuthOptions, exchange?: MunicipalExchange): void {
  registerAuthPages(fastify, app, opts);
  registerHomePages(fastify, app);
  registerAccountPages(fastify, app);
  registerAdminPages(fastify, app);
  registerAuditPages(fastify, app);
  registerResidentPages(fastify, app);
  registerVaccinationPages(fastify, app);
  registerContactPages(fastify, app);
  registerStatisticsPages(fastify, app);
  registerScheduleConfigPages(fastify, app);
  registerNoticePages(fastify, app);
  registerExtractionPages(fastify, app);
  registerCertificatePages(fastify, app);
  registerHandlerPages(fastify, app);
  registerRegisterPages(fastify, app);
  registerExchangePages(fastify, app, exchange);
  registerExchangeAdminPages(fastify, app, exchange);
  registerPlatformPages(fastify, app, exchange);
  registerBillingPages(fastify, app, exchange);
}
