import type { ToolDefinition } from '../src/tools/tool-definition.ts';
import type { ToolServices } from '../src/tools/tool-services.ts';
import analyzeLogs from './analyze-logs.ts';
import cancelJob from './cancel-job.ts';
import deployModel from './deploy-model.ts';
import detectAnomalies from './detect-anomalies.ts';
import estimateResources from './estimate-resources.ts';
import explainIncident from './explain-incident.ts';
import forecastMetrics from './forecast-metrics.ts';
import getDeploymentStatus from './get-deployment-status.ts';
import getJobStatus from './get-job-status.ts';
import listAudit from './list-audit.ts';
import probeEndpoint from './probe-endpoint.ts';
import queryMetrics from './query-metrics.ts';
import rollbackDeployment from './rollback-deployment.ts';
import scaleDeployment from './scale-deployment.ts';
import searchLogs from './search-logs.ts';
import startOptimization from './start-optimization.ts';

/** The tool catalogue of DESIGN.md: the product's API. Names never change. */
export const createToolCatalogue = (services: ToolServices): readonly ToolDefinition[] => [
  getDeploymentStatus(services),
  estimateResources,
  deployModel(services),
  rollbackDeployment(services),
  scaleDeployment(services),
  queryMetrics(services),
  detectAnomalies(services),
  forecastMetrics(services),
  probeEndpoint(services),
  searchLogs(services),
  analyzeLogs(services),
  explainIncident(services),
  startOptimization(services),
  getJobStatus(services),
  cancelJob(services),
  listAudit(services),
];
