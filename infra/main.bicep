// Cronflow for .NET: the Azure Functions app (.NET 10 isolated worker) with its storage account,
// Durable Task hub storage and monitoring.
//
// Hosting plan: Elastic Premium (EP1 by default) on Linux. It scales out elastically (up to
// `maximumElasticWorkerCount` instances, with always-ready instances so the schedule timer and the
// Durable Task queues are polled without cold starts), runs the .NET 10 isolated worker
// (`DOTNET-ISOLATED|10.0`), and is configured through the classic app settings
// `FUNCTIONS_EXTENSION_VERSION` / `FUNCTIONS_WORKER_RUNTIME`, which the Flex Consumption plan rejects.
//
// Storage access: the host and the Durable Task hub reach the storage account through the app's
// system-assigned managed identity (`AzureWebJobsStorage__accountName`) with Blob Data Owner, Queue
// Data Contributor and Table Data Contributor roles. No account key is in any setting and the account
// refuses shared-key access: the app has no Azure Files content share (which needs a key) and runs from
// its deployment package (`WEBSITE_RUN_FROM_PACKAGE=1`, deployed with zip deploy under Entra ID).
// Basic (FTP and SCM) publishing credentials are off.
//
// Exposure: webhook secrets come from app settings (Key Vault references where you keep them in a
// vault: `@Microsoft.KeyVault(SecretUri=...)`), and the Functions host reads at most
// `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` bytes of a request body (the host's default is 100 MB). See docs/deploy.md.

targetScope = 'resourceGroup'

@description('Name of the function app: letters, digits and hyphens, globally unique (it becomes <appName>.azurewebsites.net). At most 32 characters, so that the Functions host id derived from it stays unique.')
@minLength(3)
@maxLength(32)
param appName string

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Durable Task hub name (app setting CronflowTaskHub). 3 to 45 letters and digits, starting with a letter.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'cronflow'

@description('NCRONTAB (6-field, with seconds) schedule of the timer function that fires due Cronflow schedules (app setting CronflowScheduleTick).')
param scheduleTick string = '0 */1 * * * *'

@description('Elastic Premium plan size.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string = 'EP1'

@description('Number of always-ready (pre-warmed, never scaled in) instances.')
@minValue(1)
@maxValue(20)
param alwaysReadyInstances int = 1

@description('Maximum number of instances the plan scales out to.')
@minValue(1)
@maxValue(100)
param maximumElasticWorkerCount int = 20

@description('Name of the storage account (host storage and Durable Task hub). 3 to 24 lowercase letters and digits.')
@minLength(3)
@maxLength(24)
param storageAccountName string = 'st${uniqueString(resourceGroup().id, appName)}'

@description('The largest request body the Functions host accepts, in bytes (app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT). Cronflow\'s own limits (1 MiB per webhook by default) apply below it; keep it just above the largest of them.')
@minValue(1024)
param maxRequestBodyBytes int = 1048577

@description('Secret of the sample order webhook (app setting CronflowOrdersWebhookSecret). Pass it from a Key Vault reference or a secure pipeline variable; never commit it.')
@secure()
@minLength(16)
param ordersWebhookSecret string

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Tags applied to every resource.')
param tags object = {}

var planName = 'plan-${appName}'
var workspaceName = 'log-${appName}'
var appInsightsName = 'appi-${appName}'

// Built-in role definitions the host and the Durable Task Azure Storage backend need.
var storageRoleDefinitionIds = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    // Every client (the Functions host, the Durable Task hub, deployments) signs in with Entra ID.
    allowSharedKeyAccess: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
    capacity: alwaysReadyInstances
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: maximumElasticWorkerCount
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    reserved: true
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'DOTNET-ISOLATED|10.0'
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      minimumElasticInstanceCount: alwaysReadyInstances
      // Scale decisions come from the running host, which already holds the identity-based
      // storage connection used by the Durable Task queues.
      functionsRuntimeScaleMonitoringEnabled: true
      appSettings: [
        {
          name: 'FUNCTIONS_EXTENSION_VERSION'
          value: '~4'
        }
        {
          name: 'FUNCTIONS_WORKER_RUNTIME'
          value: 'dotnet-isolated'
        }
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storage.name
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          // No Azure Files content share (it would need an account key): the app runs from its package.
          name: 'WEBSITE_RUN_FROM_PACKAGE'
          value: '1'
        }
        {
          name: 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT'
          value: string(maxRequestBodyBytes)
        }
        {
          name: 'CronflowOrdersWebhookSecret'
          value: ordersWebhookSecret
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'CronflowTaskHub'
          value: taskHubName
        }
        {
          name: 'CronflowScheduleTick'
          value: scheduleTick
        }
      ]
    }
  }
}

// Deployments sign in with Entra ID (zip deploy with a token); no FTP or SCM basic credentials exist.
resource ftpBasicCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleDefinitionId in storageRoleDefinitionIds: {
    name: guid(storage.id, functionApp.id, roleDefinitionId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionId)
      principalId: functionApp.identity.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

@description('Name of the function app.')
output functionAppName string = functionApp.name

@description('Default host name of the function app (the HTTP API is served under https://<host>/api).')
output defaultHostName string = functionApp.properties.defaultHostName

@description('Name of the storage account holding the host storage and the Durable Task hub.')
output storageAccountName string = storage.name

@description('Principal id of the function app\'s system-assigned identity.')
output principalId string = functionApp.identity.principalId

@description('Name of the Application Insights component.')
output appInsightsName string = appInsights.name
