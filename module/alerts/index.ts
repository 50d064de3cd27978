/** Alerts that reach people: e-mail and webhook, once per event, remembered across restarts. */
export { AlertNotifier, waitText } from './notifier.js';
export { createEmailSender, createWebhookSender, type AlertSender } from './channels.js';
export { registerAlertMetrics } from './metrics.js';
